# planmap tile server image. Without DATABASE_URL the server runs on its embedded PGlite database
# (kept in /app/.data: mount a volume there); with DATABASE_URL, on that PostgreSQL with PostGIS
# (docker-compose.yml starts one). Build: docker build -t planmap .
# Lint: npx dockerfilelint Dockerfile (test/docker/dockerfile-lint.test.ts runs it).

# --- build: compile TypeScript with the dev dependencies, then drop them ------------------------
FROM node:20-bookworm-slim AS build
# better-sqlite3 (GeoPackage reader) compiles its addon when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so editing sources does not invalidate the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# git keeps no empty folders; the runtime stage copies styles/ and web/ whether or not they have files.
RUN npm run build \
 && mkdir -p styles web \
 && npm prune --omit=dev \
 && npm cache clean --force

# --- runtime: production dependencies (compiled above: no compiler here), code and data files -----
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY --from=build /app/data ./data
COPY --from=build /app/styles ./styles
COPY --from=build /app/web ./web
COPY --from=build /app/docker ./docker
# Code and data stay root-owned (the server cannot change them); the image's unprivileged
# `node` user owns only what the server writes: the embedded database, the disk tile cache and
# the import inbox (usually a mounted volume).
RUN mkdir -p .data cache imports \
 && chown node:node .data cache imports \
 && chmod 0755 docker/entrypoint.sh
USER node
EXPOSE 8080
VOLUME ["/app/.data", "/app/cache"]
# The slim image has no curl: Node's fetch asks /health, which answers without the database.
# start-period: the first start migrates and may import the bundled sample before listening.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health', { signal: AbortSignal.timeout(4000) }).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
# Waits for DATABASE_URL's database, then execs the command, so the server is PID 1 and
# `docker stop`'s SIGTERM reaches its graceful shutdown (run with --init, or compose's
# `init: true`, to reap GDAL's child processes). Not `npm start`: its prestart builds and
# provisions a local PostgreSQL, which a container must not do.
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["node", "dist/server/main.js"]
