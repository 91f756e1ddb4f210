// A minimal slotbridge webhook receiver: verifies each request's Standard Webhooks signature
// and prints the event. Run it, then create an endpoint pointing at it (README, "Webhooks"):
//
//   npm install                          # once, in this folder (standardwebhooks)
//   WEBHOOK_SECRET=whsec_… PORT=4000 node webhook-receiver.mjs
//
// Answer 2xx quickly and do the work afterwards: slotbridge waits 15 s, then retries. Events
// come at least once: keep the webhook-id of those you handled and skip a repeat.
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const secret = process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('Set WEBHOOK_SECRET to the secret answered when the endpoint was created (whsec_…)');
  process.exit(1);
}
const webhook = new Webhook(secret);
const seen = new Set();

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let event;
      try {
        // Checks the signature (any of those sent, so a rotated secret verifies too) and that the
        // timestamp is within 5 minutes; answers the parsed body.
        event = webhook.verify(body, req.headers);
      } catch (error) {
        console.error(`refused: ${error.message}`);
        res.writeHead(400).end();
        return;
      }
      const id = req.headers['webhook-id'];
      res.writeHead(204).end();
      if (seen.has(id)) return console.log(`${id} again (already handled)`);
      seen.add(id);
      const { type, timestamp, data } = event;
      const booking = data.booking ? ` booking ${data.booking.id} ${data.booking.state}` : '';
      const window = data.from ? ` ${data.from} → ${data.to}` : '';
      const health = data.connection ? ` ${data.connection.previousStatus} → ${data.connection.status}` : '';
      console.log(`${timestamp} ${type} practice ${data.practiceId}${booking}${window}${health}`);
    });
  })
  .listen(Number(process.env.PORT ?? 4000), '127.0.0.1', function () {
    console.log(`listening on http://127.0.0.1:${this.address().port}/`);
  });
