import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** The demo pages, served at `/` by the standalone server (opt-in for library users). */
export function demoRouter(): Router {
  const router = Router();
  const dir = fileURLToPath(new URL('../../../../client/demo', import.meta.url));
  if (existsSync(dir)) router.use(express.static(dir));
  return router;
}
