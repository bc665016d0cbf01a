// The floor for the inbound benchmark: a bare Node HTTP handler that checks the same Twilio
// signature and inserts one row per webhook with pg.
import { createServer } from "node:http";
import pg from "pg";
import twilio from "twilio";

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
await pool.query(
  "CREATE TABLE IF NOT EXISTS floor_inbound (sid text PRIMARY KEY, body text, from_phone text, at timestamptz DEFAULT now())",
);
const token = process.env.TWILIO_AUTH_TOKEN!;
const publicUrl = process.env.PUBLIC_URL!;
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString()));
    if (!twilio.validateRequest(token, String(req.headers["x-twilio-signature"] ?? ""), publicUrl + req.url, params)) {
      res.writeHead(403).end();
      return;
    }
    pool
      .query("INSERT INTO floor_inbound (sid, body, from_phone) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
        params.MessageSid,
        params.Body,
        params.From,
      ])
      .then(() => res.writeHead(200, { "content-type": "text/xml" }).end("<Response/>"))
      .catch(() => res.writeHead(500).end());
  });
}).listen(Number(process.env.PORT), "127.0.0.1", () => console.log("floor listening"));
