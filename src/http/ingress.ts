import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { IngressError, sendIngressError } from './errors.js'
import { waitForCompletion, type HttpContext } from './context.js'
import { parseDuration } from '../core/duration.js'
import { badRequest, EmulatorError } from '../core/errors.js'
import { BEHAVIOR_HEADER, parseBehaviorHeader } from '../core/behavior-header.js'
import type { Completion, Entry } from '../core/store.js'
import type { FastifyReply } from 'fastify'
import { invocationIdProblem } from '../core/engine.js'

const SendAccepted = Type.Object({
  invocationId: Type.String(),
  status: Type.Union([Type.Literal('Accepted'), Type.Literal('PreviouslyAccepted')]),
  executionTime: Type.Optional(Type.String({ format: 'date-time' }))
}, { title: 'SendResponse' })

const InvocationParams = Type.Object({ id: Type.String({ description: 'Invocation id' }) })

/**
 * Restate's ingress: calls and sends by path, attach and output by id, health.
 * The request body is the handler's input, passed through as bytes and parsed here, so that
 * a body that is not JSON gets Restate's own error.
 */
export function ingressRoutes (ctx: HttpContext): FastifyPluginAsyncTypebox {
  return async function ingress (app) {
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => { done(null, body) })

    app.get('/restate/health', {
      schema: {
        tags: ['ingress'],
        summary: 'Ingress health, with the registered services',
        response: { 200: Type.Object({ services: Type.Array(Type.String()) }) }
      }
    }, async () => ({ services: [...ctx.core.engine.catalog.services.keys()] }))

    app.get('/restate/invocation/:id/attach', {
      schema: {
        tags: ['ingress'],
        summary: "Waits for an invocation's result",
        params: InvocationParams,
        response: { '4xx': IngressError, '5xx': IngressError }
      }
    }, async (request, reply) => attach(ctx, reply, lookup(ctx, request.params.id, 'attach')))

    app.get('/restate/invocation/:id/output', {
      schema: {
        tags: ['ingress'],
        summary: "An invocation's result if it has completed, else 470",
        params: InvocationParams,
        response: { '4xx': IngressError, '5xx': IngressError }
      }
    }, async (request, reply) => output(reply, lookup(ctx, request.params.id, 'output')))

    const WorkflowParams = Type.Object({ name: Type.String(), key: Type.String() })
    const workflowEntry = (name: string, key: string) => {
      const service = ctx.core.engine.catalog.get(name)
      if (service === undefined) ctx.core.engine.resolveTarget(name, '')
      if (service!.type !== 'workflow') throw badRequest(`service '${name}' is not a workflow`)
      const entry = ctx.core.engine.workflowRun(name, key)
      if (entry === undefined) throw new EmulatorError(404, 'invocation not found')
      return entry
    }

    app.get('/restate/workflow/:name/:key/attach', {
      schema: {
        tags: ['ingress'],
        summary: "Waits for a workflow run's result",
        params: WorkflowParams,
        response: { '4xx': IngressError, '5xx': IngressError }
      }
    }, async (request, reply) => attach(ctx, reply, workflowEntry(request.params.name, request.params.key)))

    app.get('/restate/workflow/:name/:key/output', {
      schema: {
        tags: ['ingress'],
        summary: "A workflow run's result if it has completed, else 470",
        params: WorkflowParams,
        response: { '4xx': IngressError, '5xx': IngressError }
      }
    }, async (request, reply) => output(reply, workflowEntry(request.params.name, request.params.key)))

    app.post('/*', {
      schema: {
        tags: ['ingress'],
        summary: 'Call a handler: /{service}/{handler}[/send] or /{object}/{key}/{handler}[/send]',
        params: Type.Object({ '*': Type.String() }),
        querystring: Type.Object({
          delay: Type.Optional(Type.String({ description: 'For /send: start after this long (`10s`, `PT10S`, `1000ms`)' }))
        }),
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ minLength: 1 })),
          [BEHAVIOR_HEADER]: Type.Optional(Type.String({ description: 'Overrides this call\'s behaviour, e.g. `fail-attempts=2; duration=50ms`' }))
        }),
        response: { 202: SendAccepted, '4xx': IngressError, '5xx': IngressError }
      }
    }, async (request, reply) => {
      const engine = ctx.core.engine
      const segments = request.params['*'].split('/').map(s => safeDecode(s))
      if (segments[segments.length - 1] === '' && segments.length > 1) segments.pop()
      if (segments.length < 2 || segments.length > 4 || segments.some(s => s === '')) throw badPath()
      const service = engine.catalog.get(segments[0])
      if (service === undefined) engine.resolveTarget(segments[0], '')
      const keyed = service!.type !== 'service'
      let rest = segments.slice(1)
      let send = false
      if (rest.length === (keyed ? 3 : 2) && rest[rest.length - 1] === 'send') {
        send = true
        rest = rest.slice(0, -1)
      }
      if (rest.length !== (keyed ? 2 : 1)) throw badPath()
      const [key, handler] = keyed ? rest : [undefined, rest[0]]
      const { handler: handlerInfo } = engine.resolveTarget(service!.name, handler)

      let delayMs: number | undefined
      if (request.query.delay !== undefined) {
        delayMs = parseDuration(request.query.delay)
        if (delayMs === undefined) {
          throw badRequest(`bad delay query parameter, must be a ISO8601 duration: ${delayProblem(request.query.delay)}`)
        }
      }
      const input = parseInput(request.body as Buffer | undefined)
      const header = request.headers[BEHAVIOR_HEADER]
      const behavior = header === undefined ? undefined : parseBehaviorHeader(header, handlerInfo.behavior)
      const result = engine.invoke({
        service: service!.name,
        handler,
        key,
        input,
        idempotencyKey: request.headers['idempotency-key'],
        delayMs: send ? delayMs : undefined,
        behavior: behavior === undefined ? undefined : () => behavior
      })
      const id = result.invocation.id
      reply.header('x-restate-id', id)
      if (!send && result.matchedBy === 'workflow-key') {
        // Restate refuses a second sync `run` of a workflow key (a send is PreviouslyAccepted).
        throw new EmulatorError(409, 'the workflow method was already invoked', 'invocation')
      }
      if (send) {
        const body: { invocationId: string, status: 'Accepted' | 'PreviouslyAccepted', executionTime?: string } = {
          invocationId: id,
          status: result.previouslyAccepted ? 'PreviouslyAccepted' : 'Accepted'
        }
        if (result.invocation.scheduled_start_at !== undefined) body.executionTime = result.invocation.scheduled_start_at
        return reply.code(202).send(body)
      }
      return sendCompletion(reply, id, await waitForCompletion(ctx, id))
    })
  }
}

function badPath (): EmulatorError {
  return badRequest('bad path, expected either /:service-name/:handler or /:object-name/:object-key/:handler')
}

function safeDecode (segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw badRequest(`bad path, '${segment}' is not a valid URL-encoded segment`)
  }
}

function parseInput (body: Buffer | undefined): unknown {
  if (body === undefined || body.length === 0) return undefined
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw badRequest(`Failed to deserialize input: ${(err as Error).message}`, 'invocation')
  }
}

/**
 * The invocation an ingress path names. Restate answers an unknown id differently on the two
 * routes: `output` with `invocation not found` (source ingress), `attach` with `not found`
 * (source invocation).
 */
function lookup (ctx: HttpContext, id: string, route: 'attach' | 'output') {
  const problem = invocationIdProblem(id)
  if (problem !== undefined) throw badRequest(`bad invocation id '${id}': ${problem}`)
  const entry = ctx.core.engine.get(id)
  if (entry === undefined) {
    throw route === 'attach' ? new EmulatorError(404, 'not found', 'invocation') : new EmulatorError(404, 'invocation not found')
  }
  return entry
}

/** The tail of Restate's message for a delay it cannot parse (its parser's words, for the common cases). */
function delayProblem (text: string): string {
  if (!/^\s*[+-]?\d/.test(text)) {
    return 'failed to parse input in the "friendly" duration format: expected duration to start with a unit value (a decimal integer) after an optional sign, but no integer was found'
  }
  return `failed to parse input in the "friendly" duration format: '${text}' is not a duration`
}

/** Waits for the invocation to complete, then answers its result. */
async function attach (ctx: HttpContext, reply: FastifyReply, entry: Entry): Promise<FastifyReply> {
  return sendCompletion(reply, entry.record.id, await waitForCompletion(ctx, entry.record.id))
}

/** Answers the invocation's result, or 470 if it has not completed. */
function output (reply: FastifyReply, entry: Entry): FastifyReply {
  if (entry.completion === undefined) {
    return sendIngressError(reply, 470, 'the invocation exists but has not completed yet', 'ingress')
  }
  return sendCompletion(reply, entry.record.id, entry.completion)
}

function sendCompletion (reply: FastifyReply, id: string, completion: Completion): FastifyReply {
  reply.header('x-restate-id', id)
  if (completion.ok) {
    return reply.code(200).type('application/json').serializer((v: unknown) => v as string).send(JSON.stringify(completion.output ?? null))
  }
  return sendIngressError(reply, completion.code, completion.message, completion.code === 503 || completion.code === 404 ? 'ingress' : 'invocation')
}
