import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { HttpContext } from './context.js'
import { UI_PAGE } from './ui-page.js'

/** `GET /ui`: the built-in live page (invocations table and counts, fed by the event stream). */
export function uiRoutes (_ctx: HttpContext): FastifyPluginAsyncTypebox {
  return async function ui (app) {
    app.get('/ui', {
      schema: { tags: ['emulator'], summary: 'Live page of invocations', response: { 200: Type.String() } }
    }, async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(UI_PAGE))
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui'))
  }
}
