"""The base of every request model: strict about unknown fields and NUL characters."""

from __future__ import annotations

import typing
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

# In a validation context: the JSON text was searched once and holds no NUL (`nul_free`).
_NUL_FREE = "partnermatch.nul_free"


class Strict(BaseModel):
    """Unknown fields are refused (a typo must not be silently dropped); text is trimmed and
    may not hold NUL characters (PostgreSQL cannot store them in text)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # Each text field's documented maxLength (of a list of texts: each item's), checked on the
    # text as sent, as the document states it: pydantic checks it after trimming, and a name
    # of 101 characters with a space around it was accepted against maxLength 100
    # (schemathesis, now and then).
    _sent_max_length: ClassVar[dict[str, int]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._sent_max_length = {
            name: limit
            for name, field in cls.model_fields.items()
            if (limit := _text_max_length(field.annotation, field.metadata)) is not None
        }

    @field_validator("*", mode="before")
    @classmethod
    def _sent_length(cls, value: object, info: ValidationInfo) -> object:
        limit = cls._sent_max_length.get(info.field_name or "")
        if limit is None:
            return value
        texts = value if isinstance(value, list) else [value]
        # Only what trimming would let through: anything else pydantic refuses itself, naming
        # the item of a list.
        if any(isinstance(t, str) and len(t) > limit >= len(t.strip()) for t in texts):
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} characters",
                {"max_length": limit},
            )
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object, info: ValidationInfo) -> object:
        searched = isinstance(info.context, dict) and info.context.get(_NUL_FREE)
        if not searched and _holds_nul(value):
            raise ValueError("must not contain NUL characters (\\u0000)")
        return value


def nul_free(text: str) -> dict[str, Any] | None:
    """The context for validating JSON `text`: when the text holds no NUL (raw or escaped),
    one that spares every field its own search (a tenth of an import's CPU); None otherwise,
    so the field holding one is named."""
    return None if "\\u0000" in text or "\x00" in text else {_NUL_FREE: True}


def _text_max_length(annotation: object, metadata: list[Any], *, item: bool = False) -> int | None:
    """The maxLength of a text field (optional or not), or of each item of a list of texts;
    None for any other field."""
    args = typing.get_args(annotation)
    if type(None) in args and len(args) == 2:  # Optional[X], X | None
        (annotation,) = [arg for arg in args if arg is not type(None)]
        args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = args
        metadata = [*metadata, *(m for e in extra for m in getattr(e, "metadata", [e]))]
        args = typing.get_args(annotation)
    if annotation is str:
        return _max_length(metadata)
    if typing.get_origin(annotation) is list and not item:
        return _text_max_length(args[0], [], item=True)
    return None


def _max_length(metadata: list[Any]) -> int | None:
    limits = [limit for item in metadata if (limit := getattr(item, "max_length", None))]
    return min(limits) if limits else None


def _holds_nul(value: object) -> bool:
    """Whether a string, or a string inside a list, tuple, set or dict, contains U+0000.
    Nested models check their own fields."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False
