import { createReadStream, statSync } from "node:fs";
import { Readable } from "node:stream";
import type { WebClient } from "@slack/web-api";

/**
 * Uploads a file to a channel the way files.uploadV2 does (getUploadURLExternal, POST the
 * bytes, completeUploadExternal), but streaming from disk, so a 1,000,000-row export never
 * sits in memory.
 */
export async function uploadFile(
  client: WebClient,
  input: { path: string; filename: string; channelId: string; title?: string; initialComment?: string },
): Promise<string> {
  const length = statSync(input.path).size;
  const target = await client.files.getUploadURLExternal({ filename: input.filename, length });
  if (!target.upload_url || !target.file_id) throw new Error("Slack gave no upload URL");
  const res = await fetch(target.upload_url, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", "content-length": String(length) },
    body: Readable.toWeb(createReadStream(input.path)) as ReadableStream,
    duplex: "half",
  } as RequestInit);
  if (!res.ok) throw new Error(`upload failed with HTTP ${res.status}`);
  await res.arrayBuffer();
  await client.files.completeUploadExternal({
    files: [{ id: target.file_id, title: input.title ?? input.filename }],
    channel_id: input.channelId,
    ...(input.initialComment ? { initial_comment: input.initialComment } : {}),
  });
  return target.file_id;
}
