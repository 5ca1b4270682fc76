import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { HttpContext } from './context.js'
import type { LoggedEvent } from '../core/events.js'
import { STATUSES, isStatus } from '../core/lifecycle.js'
import { badRequest } from '../core/errors.js'

/** How often an idle stream gets a comment line, so proxies keep it open (real time, not emulated). */
const HEARTBEAT_MS = 15_000

/**
 * `GET /_emulator/events`: Server-Sent Events of every creation, transition and purge with the
 * full record. `Last-Event-ID` (or `?last_event_id=`) resumes from the bounded buffer.
 */
export function eventRoutes (ctx: HttpContext): FastifyPluginAsyncTypebox {
  return async function events (app) {
    app.get('/events', {
      schema: {
        tags: ['emulator'],
        summary: 'Live event stream (SSE) of creations, transitions and purges',
        querystring: Type.Object({
          status: Type.Optional(Type.String({ description: `Comma-separated statuses (after the event): ${STATUSES.join(', ')}` })),
          service: Type.Optional(Type.String()),
          id: Type.Optional(Type.String({ description: 'Only this invocation' })),
          last_event_id: Type.Optional(Type.Integer({ minimum: 0 })),
          replay: Type.Optional(Type.Boolean({ description: 'Start with every buffered event' }))
        }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^\\d+$' })) })
      }
    }, async (request, reply) => {
      const q = request.query
      let statuses: Set<string> | undefined
      if (q.status !== undefined) {
        statuses = new Set(q.status.split(',').map(s => s.trim()))
        for (const s of statuses) if (!isStatus(s)) throw badRequest(`querystring/status: '${s}' is not one of ${STATUSES.join(', ')}`)
      }
      const keep = (e: LoggedEvent): boolean =>
        (statuses === undefined || statuses.has(e.status)) &&
        (q.service === undefined || e.service === q.service) &&
        (q.id === undefined || e.invocationId === q.id)

      const header = request.headers['last-event-id']
      const log = ctx.core.events
      let after: number | undefined = header !== undefined ? Number(header) : q.last_event_id
      if (after === undefined && q.replay === true) after = 0

      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        ...corsHeaders(reply.getHeaders())
      })
      raw.write(`retry: 2000\n: restate-emulator events, last id ${log.lastId}\n\n`)
      const write = (e: LoggedEvent): void => {
        if (keep(e)) raw.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`)
      }
      if (after !== undefined) {
        const { events, complete } = log.since(after)
        if (!complete) raw.write(': some events after the requested id were dropped from the buffer\n\n')
        for (const e of events) write(e)
      }
      const unsubscribe = log.subscribe(write)
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS)
      heartbeat.unref()
      const end = (): void => {
        clearInterval(heartbeat)
        unsubscribe()
        ctx.streams.delete(end)
        if (!raw.writableEnded) raw.end()
      }
      ctx.streams.add(end)
      raw.on('close', end)
    })
  }
}

function corsHeaders (headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('access-control-') && value !== undefined) out[name] = String(value)
  }
  return out
}
