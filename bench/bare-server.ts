import express from 'express';

/**
 * The ceiling for ingest benchmarks: an Express endpoint that parses the same JSON bodies and answers
 * 202, with no validation, no Kafka and no logging. Run as its own process, like the API.
 */
const app = express();
app.disable('x-powered-by');
app.post('/api/v1/activities', express.json({ limit: '64kb' }), (_req, res) => {
  res.status(202).json({ status: 'accepted' });
});
app.post('/api/v1/activities/batch', express.json({ limit: '1mb' }), (req, res) => {
  res.status(202).json({ accepted: (req.body as { events?: unknown[] }).events?.length ?? 0 });
});
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
const server = app.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
