# ClusterPlay: the server and the built client in one image. Redis runs beside it (docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PORT=3000 CLIENT_DIR=dist/client
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The server is the bundle in dist/server; it reads package.json (its version) and the built-in scenarios beside it.
COPY package.json ./
COPY shared/scenarios ./shared/scenarios
# Compacted record segments and archives of closed classrooms live on disk (a volume in docker-compose.yml).
RUN mkdir -p /app/.data/replay && chown -R node:node /app/.data
ENV REPLAY_DATA_DIR=/app/.data/replay
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The server needs REDIS_URL here (no redis-server in this image).
CMD ["node", "dist/server/main.js"]
