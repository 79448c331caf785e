# socbot image: `docker build -t socbot .` — see README "Run it in a container".
# Two stages: the wheel is built with the toolchain, the runtime stage holds only the
# installed virtualenv. Base pinned to an exact Python and Debian release.
FROM python:3.11.7-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml setup.py MANIFEST.in README.md policy.yaml .env.example ./
COPY prompts/ prompts/
COPY bot/ bot/
COPY tools/ tools/
RUN python -m venv /opt/socbot \
 && /opt/socbot/bin/pip install --upgrade "setuptools>=70.1,<81" \
 && /opt/socbot/bin/pip wheel --no-deps --no-build-isolation -w /dist . \
 && /opt/socbot/bin/pip install /dist/socbot-*.whl \
 && /opt/socbot/bin/pip uninstall --yes pip setuptools

FROM python:3.11.7-slim-bookworm
ENV PATH=/opt/socbot/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SOCBOT_HOST=0.0.0.0 \
    PORT=3000
RUN groupadd --system --gid 10001 socbot \
 && useradd --system --uid 10001 --gid socbot --home-dir /home/socbot --create-home socbot
COPY --from=build /opt/socbot /opt/socbot
WORKDIR /home/socbot
USER 10001:10001
EXPOSE 3000
# The health check asks serve's own /healthz (database reachable, policy loaded).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4); sys.exit(0 if r.status == 200 else 1)"]
# Migrations are their own step (`socbot db upgrade`), run once before serve and worker.
CMD ["socbot", "serve"]
