# planmap tile server image. The database is not in it: set DATABASE_URL to a PostgreSQL with
# PostGIS (docker-compose.yml starts one). Build: docker build -t planmap .

# --- build: compile TypeScript with the dev dependencies ---------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Dependencies first, so editing sources does not invalidate the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
# git keeps no empty folders; the runtime stage copies styles/ whether or not it has files yet.
RUN npm run build && mkdir -p styles

# --- runtime: production dependencies, compiled code and the files it reads -----------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/config ./config
COPY --from=build /app/data ./data
COPY --from=build /app/styles ./styles
# The image's own unprivileged user; the files above stay root-owned, so the server cannot change them.
USER node
EXPOSE 8080
# The slim image has no curl: Node's fetch asks /health, which answers without the database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health', { signal: AbortSignal.timeout(4000) }).then((res) => process.exit(res.ok ? 0 : 1), () => process.exit(1))"]
# Not `npm start`: its prestart builds and provisions a local PostgreSQL, which a container must not do.
CMD ["node", "dist/server/main.js"]
