import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { HttpContext } from './context.js'
import { UI_PAGE } from './ui-page.js'

/** The page talks only to the admin port it came from; its script and styles are inline. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

/** `GET /ui`: the built-in live page (invocations table and counts, fed by the event stream). */
export function uiRoutes (_ctx: HttpContext): FastifyPluginAsyncTypebox {
  return async function ui (app) {
    app.get('/ui', {
      schema: { tags: ['emulator'], summary: 'Live page of invocations', response: { 200: Type.String() } }
    }, async (_request, reply) => reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(UI_PAGE))
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui'))
  }
}
