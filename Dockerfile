# One image for the api, worker and migrate services of docker-compose.yml.
# The Debian release is named so the lock's wheels (requirements.lock, built for bookworm's
# glibc) are the ones pip picks here.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN useradd --create-home --uid 10001 campaignops
# CJK fonts, so that Chinese text renders wherever a browser runs in this image (the report
# pages name "Noto Sans CJK SC" first; printing them to PDF with Chromium needs the font).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
# Dependencies first, exactly as locked (`./dev lock`): the same versions and files on every
# build, and this layer is reused until the lock changes. No embedded servers, no test tools.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY shared ./shared
COPY services ./services
COPY migrations ./migrations
# The project itself, nothing more (--no-deps). Editable, so the code stays in /app next to
# migrations/, where shared/migrate.py finds them. Everything stays root's: the runtime
# user reads and runs the code but cannot change it.
RUN pip install --no-cache-dir --no-deps -e . && chmod -R a+rX,go-w /app

USER campaignops
ENV API_HOST=0.0.0.0 API_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["campaignops", "api"]
