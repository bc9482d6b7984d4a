# MedicalCare auth API: the programs as FastCGI processes behind Apache
# (event MPM, mod_proxy_fcgi), for Cloud Run (or any container host).
# Configured entirely through environment variables; see DEPLOYMENT_GUIDE.md
# ("Cloud Run") and deploy/entrypoint.sh (SERVE_MODE=cgi: one process per
# request instead).
#
#   docker build -t medicalcare-auth .
#   docker run --rm -p 8080:8080 -e JWT_SECRET_KEY=... -e DATABASE_URL=... medicalcare-auth
#
# The entrypoint renders the Apache configuration from $PORT (Cloud Run sets
# it; default 8080) and the environment, checks it (apache2 -t), starts the
# FastCGI processes (apache/fcgi.sh: spawn-fcgi + multiwatch, FCGI_PROCESSES
# a program within DB_MAX_CONNECTIONS) and apache2, logging to stdout/stderr.

# ---- build: the programs, and Swagger UI for /docs ----
FROM debian:12-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config make ca-certificates \
        libpq-dev libjson-c-dev libssl-dev libcurl4-openssl-dev libargon2-dev libzxcvbn-dev \
        libfcgi-dev \
        nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" all
RUN cd docs && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
 && test -f node_modules/swagger-ui-dist/swagger-ui-bundle.js

# ---- runtime ----
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        apache2-bin ca-certificates \
        libpq5 libjson-c5 libssl3 libcurl4 libargon2-1 libzxcvbn0 libfcgi0ldbl \
        spawn-fcgi multiwatch procps \
        postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 medicalcare \
 && useradd --system --uid 10001 --gid medicalcare --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin medicalcare
WORKDIR /app
# Only what is served or run: the programs, the cron resender, the web server
# templates, the entrypoint, the migrations, the docs page and the settings'
# names (env.sample: render.sh --pass-env reads them). No .env: settings come
# from the environment (Cloud Run env vars and secrets).
COPY --from=build /src/cgi-bin/ /app/cgi-bin/
COPY --from=build /src/bin/ /app/bin/
COPY --from=build /src/docs/ /app/docs/
COPY --from=build /src/apache/ /app/apache/
COPY --from=build /src/deploy/ /app/deploy/
COPY --from=build /src/sql/ /app/sql/
COPY --from=build /src/env.sample /app/env.sample
RUN rm -f /app/cgi-bin/*.c /app/cgi-bin/*.h \
 && chmod 0755 /app/deploy/entrypoint.sh /app/apache/render.sh /app/apache/fcgi.sh /app/sql/migrate.sh \
 && /app/deploy/entrypoint.sh --help >/dev/null

# No TRUSTED_PROXIES here: the same image runs outside Cloud Run. On Cloud
# Run (K_SERVICE set) the entrypoint sets it to 169.254.0.0/16 when nothing
# else does (DEPLOYMENT_GUIDE.md, "Client addresses on Cloud Run").
ENV PORT=8080 \
    MEDICALCARE_RUN_DIR=/tmp/medicalcare-apache \
    MAIL_TRANSPORT=smtp
EXPOSE 8080
# Not root: Apache runs as this user (port 8080 needs no privilege) and so do
# the programs. SIGTERM (Cloud Run's stop) stops Apache at once and the
# FastCGI processes after the requests in hand (8 s at most).
USER 10001:10001
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
