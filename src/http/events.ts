import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { HttpContext } from './context.js'
import type { LoggedEvent } from '../core/events.js'
import { STATUSES, isStatus } from '../core/lifecycle.js'
import { INVOCATION_ID } from '../core/invocation.js'
import { badRequest } from '../core/errors.js'

/** How often an idle stream gets a comment line, so proxies keep it open (real time, not emulated). */
const HEARTBEAT_MS = 15_000
/**
 * A client that reads slower than events arrive is cut off past this much unsent output (room
 * for a full replay of the buffer and then some), rather than buffered without bound; it
 * reconnects with `Last-Event-ID` and resumes from the log.
 */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024

/**
 * `GET /_emulator/events`: Server-Sent Events of every creation, transition and purge with the
 * full record. `Last-Event-ID` (or `?last_event_id=`) resumes from the bounded buffer.
 *
 * Two unfiltered control events tell a client that what it holds is stale: `reset` (the
 * emulator was reset or restored, or the id it resumes from predates that; event ids restart,
 * so it carries `id: 0`) and `gap` (events after the id it resumes from left the buffer).
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
      if (q.id !== undefined && !INVOCATION_ID.test(q.id)) throw badRequest(`querystring/id: '${q.id}' is not an invocation id (inv_ + 34 base62 characters)`)
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
      let end = (): void => {}
      const send = (text: string): void => {
        raw.write(text)
        if (raw.writableLength > MAX_BACKLOG_BYTES) {
          request.log.warn('event stream client reads too slowly; dropping its stream')
          end()
          raw.destroy()
        }
      }
      const write = (e: LoggedEvent): void => {
        if (keep(e)) send(`id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`)
      }
      const reset = (): void => send(`id: 0\nevent: reset\ndata: ${JSON.stringify({ last_event_id: 0 })}\n\n`)
      if (after !== undefined) {
        if (after > log.lastId) {
          // An id this log never issued: it was issued before a reset, so everything buffered is news.
          reset()
          after = 0
        }
        const { events, complete } = log.since(after)
        if (!complete) send(`event: gap\ndata: ${JSON.stringify({ after, oldest_event_id: events[0]?.id ?? log.lastId + 1 })}\n\n`)
        for (const e of events) write(e)
      }
      const unsubscribe = log.subscribe(write)
      const unsubscribeClear = log.onClear(reset)
      const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), HEARTBEAT_MS)
      heartbeat.unref()
      end = (): void => {
        clearInterval(heartbeat)
        unsubscribe()
        unsubscribeClear()
        ctx.streams.delete(end)
        if (!raw.writableEnded && !raw.destroyed) raw.end()
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
