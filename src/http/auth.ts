import type { FastifyReply, FastifyRequest } from 'fastify'
import { timingSafeEqual } from 'node:crypto'

/**
 * With an admin token set, the control API and every admin mutation need
 * `Authorization: Bearer <token>`; an EventSource, which cannot set headers, may pass
 * `?access_token=`. Reads of Restate's admin API, health, docs and the page stay open.
 */
export function authHook (token: string) {
  const expected = Buffer.from(token)
  return async function auth (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const path = request.url.split('?')[0]
    const control = path.startsWith('/_emulator')
    const mutation = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS'
    if (!control && !mutation) return
    const header = request.headers.authorization
    let given: string | undefined
    if (header !== undefined && /^Bearer /i.test(header)) given = header.slice(7).trim()
    else if (request.method === 'GET') {
      given = new URL(request.url, 'http://x').searchParams.get('access_token') ?? undefined
    }
    if (given !== undefined) {
      const buf = Buffer.from(given)
      if (buf.length === expected.length && timingSafeEqual(buf, expected)) return
    }
    await reply.code(401).header('www-authenticate', 'Bearer').type('application/json')
      .send({ message: 'this admin operation needs Authorization: Bearer <admin token>', restate_code: null })
  }
}
