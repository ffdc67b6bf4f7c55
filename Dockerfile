# Portal assets: GOV.UK Frontend's styles and script and htmx, from npm.
FROM node:20-bookworm-slim AS assets
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY web/build.mjs ./
COPY web/styles styles
COPY web/scripts scripts
RUN npm run build

# Build stage: SQLite and libpq are compiled from bundled sources, so only a C compiler is needed.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev make \
    && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY openapi openapi
COPY templates templates
RUN cargo build --release --locked --bin grantfund

# Run stage: the binary and an unprivileged user, nothing else.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/grantfund --create-home grantfund
COPY --from=build /src/target/release/grantfund /usr/local/bin/grantfund
COPY --from=assets /web/dist /usr/share/grantfund/assets
USER grantfund
WORKDIR /var/lib/grantfund
ENV BIND_ADDR=0.0.0.0:8080 \
    APP_ENV=production \
    MAIL_DIR=/var/lib/grantfund/mail \
    ASSETS_DIR=/usr/share/grantfund/assets
EXPOSE 8080
ENTRYPOINT ["grantfund"]
CMD ["serve"]
