# syntax=docker/dockerfile:1
# One image recipe for both services (they share the workspace layout and the shared/ package):
#   docker build -f infra/service.Dockerfile --build-arg SERVICE=api-service .
#   docker build -f infra/service.Dockerfile --build-arg SERVICE=worker-service .
ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY shared/package.json shared/
COPY api-service/package.json api-service/
COPY worker-service/package.json worker-service/
COPY client/package.json client/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY shared/ shared/
# The dashboard talks to the api through the SDK's transport, bundled from client/src.
COPY client/ client/
COPY ${SERVICE}/ ${SERVICE}/
# The api also serves the dashboard: bundled (esbuild, uPlot) into api-service/dist/dashboard, copied below with dist.
RUN npx tsc -b "${SERVICE}" \
    && if [ "${SERVICE}" = api-service ]; then node api-service/scripts/build-dashboard.mjs; fi

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    SERVICE=${SERVICE}
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY api-service/package.json api-service/
COPY worker-service/package.json worker-service/
# Production dependencies of this service and shared/ only.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts --workspace "${SERVICE}" --workspace shared \
    && npm cache clean --force
COPY --from=build /app/shared/dist shared/dist
COPY --from=build /app/${SERVICE}/dist ${SERVICE}/dist
USER node
# The api listens on PORT (3000), the worker's probes on WORKER_PORT (3001); HEALTH_PORT picks the one to probe.
ENV HEALTH_PORT=3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["sh", "-c", "exec node \"$SERVICE/dist/main.js\""]
