import { parentPort, workerData } from 'node:worker_threads';
import type { DrawAnswer, DrawTask, RenderWorkerData } from './render-pool.js';
import { TileDrawer } from './tile-drawer.js';

/**
 * Entry point of a render worker thread (render-pool.ts starts them): draws each image it is
 * posted and posts it back, or the error's message. The image's memory is handed over, not copied.
 */
const port = parentPort;
if (!port) throw new Error('render-worker.ts runs as a worker thread of RenderPool');
const drawer = new TileDrawer((workerData as RenderWorkerData).styles);

port.on('message', ({ id, request }: DrawTask) => {
  drawer.draw(request).then(
    ({ image, decodeMs, drawMs, encodeMs }) => {
      const answer: DrawAnswer = { id, image, decodeMs, drawMs, encodeMs };
      // Only an image that owns its whole ArrayBuffer can be handed over; a small one may sit in
      // Node's shared Buffer pool, and is copied.
      const ownsMemory = image.byteOffset === 0 && image.byteLength === image.buffer.byteLength;
      port.postMessage(answer, ownsMemory ? [image.buffer as ArrayBuffer] : []);
    },
    (error: unknown) => port.postMessage({ id, error: error instanceof Error ? error.message : String(error) } satisfies DrawAnswer),
  );
});
