// Baseline for bench/startup.ts: a bare Fastify server with one /health route, nothing else.
import Fastify from 'fastify'

const app = Fastify()
app.get('/health', async () => '')
await app.listen({ port: Number(process.argv[2]), host: '127.0.0.1' })
process.on('SIGTERM', () => { app.close().then(() => process.exit(0)) })
