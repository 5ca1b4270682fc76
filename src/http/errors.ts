import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { EmulatorError, type ErrorSource } from '../core/errors.js'

/** Restate's ingress error body. */
export const IngressError = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  source: Type.Optional(Type.String())
}, { title: 'IngressError' })

/** Restate's admin error body. */
export const AdminError = Type.Object({
  message: Type.String(),
  restate_code: Type.Union([Type.String(), Type.Null()])
}, { title: 'AdminError' })

interface Mapped {
  statusCode: number
  message: string
  source: ErrorSource
}

/** Maps any error to a status and a message that is safe to show (5xx details stay in the log). */
function mapError (err: FastifyError | Error, request: FastifyRequest): Mapped {
  if (err instanceof EmulatorError) {
    if (err.statusCode >= 500 && err.statusCode !== 503) {
      request.log.error({ err }, 'internal error')
      return { statusCode: err.statusCode, message: 'internal error', source: 'ingress' }
    }
    return { statusCode: err.statusCode, message: err.message, source: err.source }
  }
  const fastifyError = err as FastifyError
  if (fastifyError.validation !== undefined) {
    return { statusCode: 400, message: fastifyError.message, source: 'ingress' }
  }
  const status = fastifyError.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return { statusCode: status, message: fastifyError.message, source: 'ingress' }
  }
  request.log.error({ err }, 'internal error')
  return { statusCode: 500, message: 'internal error', source: 'ingress' }
}

export function ingressErrors (app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err as FastifyError, request)
    sendIngressError(reply, mapped.statusCode, mapped.message, mapped.source)
  })
  app.setNotFoundHandler((request, reply) => {
    sendIngressError(reply, 404, `no route for ${request.method} ${request.url.split('?')[0]}`, 'ingress')
  })
}

export function sendIngressError (reply: FastifyReply, statusCode: number, message: string, source: ErrorSource): FastifyReply {
  return reply
    .code(statusCode)
    .header('x-restate-error-source', source)
    .type('application/json')
    .send({ code: statusCode, message, source })
}

export function adminErrors (app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err as FastifyError, request)
    reply.code(mapped.statusCode).type('application/json').send({ message: mapped.message, restate_code: null })
  })
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).type('application/json').send({ message: `no route for ${request.method} ${request.url.split('?')[0]}`, restate_code: null })
  })
}
