"""The shared core: database, settings, errors, clock and request dependencies.

It imports no domain; every domain (profiles, indexing, scoring, matcher) and the api may
import it.
"""
