import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import cors from '@fastify/cors'
import fastJsonStringify from 'fast-json-stringify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { EmulatorCore } from './core/emulator.js'
import type { HttpContext } from './http/context.js'
import { adminErrors, ingressErrors } from './http/errors.js'
import { ingressRoutes } from './http/ingress.js'
import { adminRoutes } from './http/admin.js'
import { queryRoutes } from './http/query.js'
import { controlRoutes } from './http/control.js'
import { eventRoutes } from './http/events.js'
import { uiRoutes } from './http/ui.js'
import { authHook } from './http/auth.js'
import { version } from './version.js'

export interface AppOptions {
  core: EmulatorCore
  logger: FastifyBaseLogger
  bodyLimit: number
  adminToken?: string
  /** `*` for any origin, or the list of allowed origins; an empty list turns CORS off. */
  corsOrigins: string[]
  ingressUrl: () => string
}

export interface Apps {
  ingress: FastifyInstance
  admin: FastifyInstance
  ctx: HttpContext
}

/** Builds the ingress and admin Fastify apps around one emulator core. */
export async function buildApps (options: AppOptions): Promise<Apps> {
  const ctx: HttpContext = {
    core: options.core,
    ingressUrl: options.ingressUrl,
    adminToken: options.adminToken,
    waiting: new Set(),
    streams: new Set()
  }
  const base = (): FastifyServerOptions => ({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // TypeBox builds every schema here; checking each against the JSON Schema meta-schema at
    // start-up cost ~100 ms and can find nothing that the type check has not.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, validateSchema: false } },
    schemaController: { compilersFactory: { buildSerializer: cachedSerializers } }
  })

  const ingress = Fastify(base()).withTypeProvider<TypeBoxTypeProvider>()
  ingressErrors(ingress)
  await registerCors(ingress, options.corsOrigins)
  await ingress.register(ingressRoutes(ctx))
  ingress.addHook('preClose', async () => shutDownWaiters(ctx))

  // The Restate CLI calls versioned paths (`/v4/invocations/…`): the same routes answer them.
  const admin = Fastify({ ...base(), rewriteUrl: request => stripApiVersion(request.url ?? '/') }).withTypeProvider<TypeBoxTypeProvider>()
  adminErrors(admin)
  // The restate CLI sends some PATCHes with a JSON content type and no body: treat that as no body.
  admin.removeContentTypeParser('application/json')
  admin.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = (body as string).trim()
    if (text === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(text))
    } catch (err) {
      done(Object.assign(new Error(`body is not valid JSON: ${(err as Error).message}`), { statusCode: 400 }), undefined)
    }
  })
  await registerCors(admin, options.corsOrigins)
  await admin.register(swagger, {
    openapi: {
      info: {
        title: 'restate-emulator admin API',
        description: "Restate's admin API for invocations, services and deployments, plus the emulator's control API under /_emulator.",
        version
      },
      tags: [
        { name: 'invocation', description: 'Invocation management, as Restate' },
        { name: 'service', description: 'Services, as Restate' },
        { name: 'deployment', description: 'Deployments, as Restate' },
        { name: 'emulator', description: "The emulator's control API" }
      ]
    }
  })
  await admin.register(swaggerUi, { routePrefix: '/docs' })
  if (options.adminToken !== undefined) admin.addHook('onRequest', authHook(options.adminToken))
  await admin.register(adminRoutes(ctx))
  await admin.register(queryRoutes(ctx))
  await admin.register(controlRoutes(ctx), { prefix: '/_emulator' })
  await admin.register(eventRoutes(ctx), { prefix: '/_emulator' })
  await admin.register(uiRoutes(ctx))
  admin.addHook('preClose', async () => {
    for (const end of [...ctx.streams]) end()
    shutDownWaiters(ctx)
  })

  await Promise.all([ingress.ready(), admin.ready()])
  return { ingress, admin, ctx }
}

/**
 * Response serializers, compiled once per distinct schema rather than once per route and status
 * code: every route shares the error bodies and most share the invocation record, so this
 * roughly halves start-up time.
 */
function cachedSerializers (externalSchemas: unknown, serializerOpts: unknown) {
  type Options = NonNullable<Parameters<typeof fastJsonStringify>[1]>
  const options = { ...(serializerOpts as Options), schema: externalSchemas as Options['schema'] }
  const cache = new Map<string, (data: unknown) => string>()
  return ({ schema }: { schema?: unknown }): ((data: unknown) => string) => {
    const key = JSON.stringify(schema)
    let serializer = cache.get(key)
    if (serializer === undefined) {
      serializer = fastJsonStringify(schema as Parameters<typeof fastJsonStringify>[0], options) as (data: unknown) => string
      cache.set(key, serializer)
    }
    return serializer
  }
}

const API_VERSION = /^\/v[1-4](?=\/|$|\?)/

function stripApiVersion (url: string): string {
  const stripped = url.replace(API_VERSION, '')
  return stripped === '' || stripped.startsWith('?') ? `/${stripped}` : stripped
}

async function registerCors (app: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) return
  await app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: ['x-restate-id', 'x-restate-error-source']
  })
}

function shutDownWaiters (ctx: HttpContext): void {
  for (const release of [...ctx.waiting]) {
    release({ ok: false, code: 503, message: 'the emulator is shutting down' })
  }
}
