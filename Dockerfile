# The partnermatch service. Multi-stage: dependencies and the package are installed into a
# virtualenv in the build stage; the runtime stage copies only that virtualenv, runs as a
# non-root user and installs nothing when the container starts.
#
#   docker build -t partnermatch .
#   docker run -p 8000:8000 -e PARTNERMATCH_DATABASE_URL=... partnermatch

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/partnermatch
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY core ./core
COPY api ./api
COPY profiles ./profiles
COPY indexing ./indexing
COPY scoring ./scoring
COPY matcher ./matcher
RUN /opt/partnermatch/bin/pip install --require-hashes -r requirements.lock \
    && /opt/partnermatch/bin/pip install --no-deps ".[postgres,opensearch]"

FROM python:3.11-slim
RUN groupadd --system --gid 10001 partnermatch \
    && useradd --system --uid 10001 --gid partnermatch --home-dir /var/lib/partnermatch \
       --create-home partnermatch
COPY --from=build /opt/partnermatch /opt/partnermatch
ENV PATH=/opt/partnermatch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PARTNERMATCH_INDEX_DIR=/var/lib/partnermatch/index \
    PARTNERMATCH_DATABASE_URL=sqlite:////var/lib/partnermatch/partnermatch.db
WORKDIR /var/lib/partnermatch
USER partnermatch
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["partnermatch", "serve", "--host", "0.0.0.0", "--port", "8000"]
