# Lumi as a service: `docker run -v lumi-data:/data lumi` migrates the database and runs
# `lumi run` on SQLite in /data; set LUMI_DATABASE_URL to a postgresql+psycopg:// URL for
# production (compose.yaml does). Any other command runs as given: `docker run lumi lumi digest`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LUMI_DATABASE_URL=sqlite:////data/lumi.db \
    LUMI_FEEDS=/app/feeds.yaml \
    LUMI_EXPORT_DIR=/data/digests \
    LUMI_HTTP_HOST=0.0.0.0 \
    LUMI_HTTP_PORT=8787
# Set LUMI_AI_POLICY_URL (docker run -e LUMI_AI_POLICY_URL=https://...) to the publisher's AI
# policy page: every disclosure label links to it. Unset, the labels link to a placeholder
# and `lumi run` warns at start.

WORKDIR /app
COPY pyproject.toml README.md feeds.yaml alembic.ini ./
COPY pipeline/ pipeline/
COPY classifiers/ classifiers/
COPY migrations/ migrations/
RUN pip install --upgrade pip && pip install . \
    && useradd --system --home /data lumi && mkdir -p /data && chown lumi /data

USER lumi
VOLUME ["/data"]
EXPOSE ${LUMI_HTTP_PORT}
# Reads the port the service was given (docker run -e LUMI_HTTP_PORT=...); a 503 (database
# unreachable) raises, so the container is reported unhealthy.
HEALTHCHECK --interval=60s --timeout=5s CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['LUMI_HTTP_PORT'], timeout=4)"
# Migrations first (a no-op when the schema is current), then the service as PID 1's child
# replacement, so SIGTERM from `docker stop` reaches `lumi run` directly.
CMD ["sh", "-c", "lumi db upgrade && exec lumi run"]
