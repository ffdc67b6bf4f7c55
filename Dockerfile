# Build stage: SQLite and libpq are compiled from bundled sources, so only a C compiler is needed;
# the crate's build script builds the portal's assets (GOV.UK Frontend's styles and script and
# htmx, from npm) into the binary, with Node.js and npm from the Node.js image, since Debian's
# Node.js is older than the style compiler needs.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev make libstdc++6 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm-slim /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node --version && npm --version
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
COPY openapi openapi
COPY templates templates
COPY web/package.json web/package-lock.json web/build.mjs web/
COPY web/styles web/styles
COPY web/scripts web/scripts
RUN GRANTFUND_REQUIRE_ASSETS=1 cargo build --release --locked --bin grantfund

# Run stage: the binary and an unprivileged user, nothing else.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/grantfund --create-home grantfund
COPY --from=build /src/target/release/grantfund /usr/local/bin/grantfund
USER grantfund
WORKDIR /var/lib/grantfund
ENV BIND_ADDR=0.0.0.0:8080 \
    APP_ENV=production \
    MAIL_DIR=/var/lib/grantfund/mail
EXPOSE 8080
ENTRYPOINT ["grantfund"]
CMD ["serve"]
