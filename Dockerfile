# syntax=docker/dockerfile:1
# restate-emulator: Restate's ingress (8080) and admin (9070) APIs, emulated.
#
#   docker build -t restate-emulator .
#   docker run --rm -p 8080:8080 -p 9070:9070 restate-emulator
#   docker run --rm -p 8080:8080 -p 9070:9070 -v "$PWD/fixtures:/fixtures:ro" \
#     -e RESTATE_EMULATOR_FIXTURE=/fixtures/my-fixture.json restate-emulator
#
# Configure with RESTATE_EMULATOR_* variables (see `restate-emulator --help`) or with flags
# after the image name. Fixture files go in /fixtures (mount a directory there, read-only is
# enough); a snapshot file goes in /data (mount a named volume there: it is owned by `node`).

ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts are needed (the build is the next step, once the sources are copied).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY fixtures ./fixtures
# Places to mount fixtures and snapshots. Not VOLUMEs, so that no anonymous volume is made on
# every run; owned by `node`, so that a named volume mounted on /data is writable.
RUN mkdir /fixtures /data && chown node:node /fixtures /data
USER node
ENV RESTATE_EMULATOR_HOST=0.0.0.0
EXPOSE 8080 9070
# No curl in the slim image: Node checks the admin port's /health, following
# RESTATE_EMULATOR_ADMIN_PORT when that is set.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --start-interval=500ms --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.RESTATE_EMULATOR_ADMIN_PORT||9070)+'/health',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The CLI handles SIGTERM itself (stop accepting, answer in-flight requests, save the snapshot,
# exit 0), so node runs as PID 1 without an init.
ENTRYPOINT ["node", "dist/cli.js"]
