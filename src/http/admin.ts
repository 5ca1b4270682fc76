import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { AdminError } from './errors.js'
import type { HttpContext } from './context.js'
import { Invocation } from '../core/invocation.js'
import { STATUSES, isStatus, type Status } from '../core/lifecycle.js'
import { decodeCursor, encodeCursor } from '../core/store.js'
import { badRequest, notFound } from '../core/errors.js'
import type { ServiceInfo } from '../core/catalog.js'
import { formatDuration } from '../core/duration.js'
import { version as packageVersion } from '../version.js'

/** The Restate version whose admin API this emulator follows. */
export const RESTATE_VERSION = '1.7.12'

const IdParams = Type.Object({ id: Type.String({ description: 'Invocation id (`inv_…`)' }) })

const ListQuery = Type.Object({
  status: Type.Optional(Type.String({ description: `Comma-separated statuses: ${STATUSES.join(', ')}` })),
  service: Type.Optional(Type.String()),
  handler: Type.Optional(Type.String()),
  key: Type.Optional(Type.String({ description: 'Virtual object / workflow key' })),
  deployment_id: Type.Optional(Type.String()),
  created_after: Type.Optional(Type.String({ format: 'date-time' })),
  created_before: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  cursor: Type.Optional(Type.String({ description: 'next_cursor of the previous page' }))
}, { additionalProperties: false })

const ListResponse = Type.Object({
  invocations: Type.Array(Invocation),
  next_cursor: Type.Union([Type.String(), Type.Null()])
})

const HandlerMetadata = Type.Object({
  name: Type.String(),
  ty: Type.Optional(Type.Union([Type.Literal('Exclusive'), Type.Literal('Shared'), Type.Literal('Workflow')], { description: 'Absent for the handlers of a plain service' })),
  public: Type.Boolean(),
  input_description: Type.String(),
  output_description: Type.String()
})

const ServiceMetadata = Type.Object({
  name: Type.String(),
  ty: Type.Union([Type.Literal('Service'), Type.Literal('VirtualObject'), Type.Literal('Workflow')]),
  handlers: Type.Array(HandlerMetadata),
  deployment_id: Type.String(),
  revision: Type.Integer(),
  public: Type.Boolean(),
  idempotency_retention: Type.String(),
  journal_retention: Type.String(),
  inactivity_timeout: Type.String(),
  abort_timeout: Type.String(),
  retry_policy: Type.Object({
    initial_interval: Type.String(),
    exponentiation_factor: Type.Number(),
    max_interval: Type.String(),
    max_attempts: Type.Integer(),
    on_max_attempts: Type.Union([Type.Literal('Pause'), Type.Literal('Kill')])
  })
})

const Deployment = Type.Object({
  id: Type.String(),
  uri: Type.String(),
  protocol_type: Type.String(),
  http_version: Type.String(),
  created_at: Type.String(),
  min_protocol_version: Type.Integer(),
  max_protocol_version: Type.Integer(),
  sdk_version: Type.String(),
  services: Type.Array(Type.Object({ name: Type.String(), revision: Type.Integer() }))
})

const Empty = Type.Unknown({ description: 'Empty body' })
const errors = { 400: AdminError, 404: AdminError, 409: AdminError, 503: AdminError }
const TYPE_NAMES = { service: 'Service', virtual_object: 'VirtualObject', workflow: 'Workflow' } as const
const KIND_NAMES = { exclusive: 'Exclusive', shared: 'Shared', workflow: 'Workflow' } as const

/**
 * Restate's admin API for services, deployments and invocations, plus the REST list and read of
 * invocations that the real server lacks. `/v1`…`/v4` paths are rewritten onto these routes.
 */
export function adminRoutes (ctx: HttpContext): FastifyPluginAsyncTypebox {
  return async function admin (app) {
    const engine = () => ctx.core.engine

    app.get('/health', { schema: { tags: ['health'], summary: 'Admin health', response: { 200: Empty } } }, async (_req, reply) => {
      return reply.code(200).send()
    })

    app.get('/version', {
      schema: {
        tags: ['version'],
        response: {
          200: Type.Object({
            version: Type.String(),
            min_admin_api_version: Type.Integer(),
            max_admin_api_version: Type.Integer(),
            ingress_endpoint: Type.String(),
            features: Type.Record(Type.String(), Type.Boolean()),
            emulator: Type.Object({ name: Type.String(), version: Type.String() })
          })
        }
      }
    }, async () => ({
      version: RESTATE_VERSION,
      min_admin_api_version: 2,
      max_admin_api_version: 4,
      ingress_endpoint: ctx.ingressUrl(),
      features: {},
      emulator: { name: 'restate-emulator', version: packageVersion }
    }))

    app.get('/services', {
      schema: { tags: ['service'], response: { 200: Type.Object({ services: Type.Array(ServiceMetadata) }) } }
    }, async () => ({ services: [...engine().catalog.services.values()].map(s => serviceMetadata(ctx, s)) }))

    app.get('/services/:name', {
      schema: { tags: ['service'], params: Type.Object({ name: Type.String() }), response: { 200: ServiceMetadata, ...errors } }
    }, async (request) => {
      const service = engine().catalog.get(request.params.name)
      if (service === undefined) throw notFound(`The requested service '${request.params.name}' does not exist`)
      return serviceMetadata(ctx, service)
    })

    app.get('/deployments', {
      schema: { tags: ['deployment'], response: { 200: Type.Object({ deployments: Type.Array(Deployment) }) } }
    }, async () => {
      const { deployment, catalog } = engine()
      return {
        deployments: [{
          id: deployment.id,
          uri: 'http://restate-emulator.invalid:9080/',
          protocol_type: 'BidiStream',
          http_version: 'HTTP/2.0',
          created_at: deployment.createdAt,
          min_protocol_version: 5,
          max_protocol_version: 6,
          sdk_version: `restate-emulator/${packageVersion}`,
          services: [...catalog.services.keys()].map(name => ({ name, revision: 1 }))
        }]
      }
    })

    app.get('/invocations', {
      schema: {
        tags: ['invocation'],
        summary: 'List invocations, newest first (an emulator extension: the real server answers SQL at /query)',
        querystring: ListQuery,
        response: { 200: ListResponse, 400: AdminError }
      }
    }, async (request) => {
      const q = request.query
      let statuses: Set<Status> | undefined
      if (q.status !== undefined && q.status !== '') {
        statuses = new Set()
        for (const raw of q.status.split(',')) {
          const s = raw.trim()
          if (!isStatus(s)) throw badRequest(`querystring/status: '${s}' is not one of ${STATUSES.join(', ')}`)
          statuses.add(s)
        }
      }
      let cursor
      if (q.cursor !== undefined) {
        cursor = decodeCursor(q.cursor)
        if (cursor === undefined) throw badRequest(`querystring/cursor: '${q.cursor}' is not a cursor this server issued`)
      }
      const page = engine().list({
        statuses,
        service: emptyToUndefined(q.service),
        handler: emptyToUndefined(q.handler),
        key: emptyToUndefined(q.key),
        deploymentId: emptyToUndefined(q.deployment_id),
        createdAfter: q.created_after === undefined ? undefined : Date.parse(q.created_after),
        createdBefore: q.created_before === undefined ? undefined : Date.parse(q.created_before),
        limit: q.limit,
        cursor
      })
      return {
        invocations: page.entries.map(e => e.record),
        next_cursor: page.next === undefined ? null : encodeCursor(page.next)
      }
    })

    app.get('/invocations/:id', {
      schema: { tags: ['invocation'], summary: 'One invocation (an emulator extension)', params: IdParams, response: { 200: Invocation, ...errors } }
    }, async (request) => engine().require(request.params.id).record)

    app.patch('/invocations/:id/cancel', {
      schema: { tags: ['invocation'], params: IdParams, response: { 200: Empty, 202: Empty, ...errors } }
    }, async (request, reply) => {
      const result = engine().cancel(request.params.id)
      return reply.code(result === 'removed' ? 200 : 202).send()
    })

    app.patch('/invocations/:id/kill', {
      schema: { tags: ['invocation'], params: IdParams, response: { 200: Empty, ...errors } }
    }, async (request, reply) => {
      engine().kill(request.params.id)
      return reply.code(200).send()
    })

    app.patch('/invocations/:id/purge', {
      schema: { tags: ['invocation'], params: IdParams, response: { 200: Empty, ...errors } }
    }, async (request, reply) => {
      engine().purge(request.params.id)
      return reply.code(200).send()
    })

    app.patch('/invocations/:id/pause', {
      schema: { tags: ['invocation'], params: IdParams, response: { 200: Empty, 202: Empty, ...errors } }
    }, async (request, reply) => {
      return reply.code(engine().pause(request.params.id) === 'paused' ? 202 : 200).send()
    })

    app.patch('/invocations/:id/resume', {
      schema: { tags: ['invocation'], params: IdParams, response: { 200: Empty, ...errors } }
    }, async (request, reply) => {
      engine().resume(request.params.id)
      return reply.code(200).send()
    })

    app.patch('/invocations/:id/restart-as-new', {
      schema: {
        tags: ['invocation'],
        params: IdParams,
        response: { 200: Type.Object({ new_invocation_id: Type.String() }), ...errors }
      }
    }, async (request) => ({ new_invocation_id: engine().restartAsNew(request.params.id).id }))

    app.delete('/invocations/:id', {
      schema: {
        tags: ['invocation'],
        summary: 'Deprecated form of cancel / kill / purge',
        params: IdParams,
        querystring: Type.Object({
          mode: Type.Optional(Type.Union([Type.Literal('Cancel'), Type.Literal('Kill'), Type.Literal('Purge')]))
        }),
        response: { 202: Empty, ...errors }
      }
    }, async (request, reply) => {
      const id = request.params.id
      const mode = request.query.mode ?? 'Cancel'
      if (mode === 'Kill') engine().kill(id)
      else if (mode === 'Purge') engine().purge(id)
      else engine().cancel(id)
      return reply.code(202).send()
    })
  }
}

function emptyToUndefined (value: string | undefined): string | undefined {
  return value === '' ? undefined : value
}

function serviceMetadata (ctx: HttpContext, service: ServiceInfo) {
  const engine = ctx.core.engine
  const policy = engine.fixture.retryPolicy
  const sample = [...service.handlers.values()][0]?.policy
  const retention = formatDuration(engine.retentionMs)
  return {
    name: service.name,
    ty: TYPE_NAMES[service.type],
    handlers: [...service.handlers.values()].map(h => ({
      name: h.name,
      ...(h.kind === undefined ? {} : { ty: KIND_NAMES[h.kind] }),
      public: true,
      input_description: 'one of ["none", "value of content-type \'application/json\'"]',
      output_description: "value with content-type 'application/json'"
    })),
    deployment_id: engine.deployment.id,
    revision: 1,
    public: true,
    idempotency_retention: retention,
    journal_retention: retention,
    inactivity_timeout: '1m',
    abort_timeout: '10m',
    retry_policy: {
      initial_interval: formatDuration(sample?.initialInterval ?? 500),
      exponentiation_factor: sample?.exponentiationFactor ?? policy?.exponentiationFactor ?? 2,
      max_interval: formatDuration(sample?.maxInterval ?? 60_000),
      max_attempts: sample?.maxAttempts ?? 70,
      on_max_attempts: (sample?.onMaxAttempts ?? 'pause') === 'pause' ? 'Pause' as const : 'Kill' as const
    }
  }
}
