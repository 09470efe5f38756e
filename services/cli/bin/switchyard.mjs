#!/usr/bin/env node
// The CLI is TypeScript run without a build step; tsx's loader is registered before the entry
// point is imported so `npx switchyard ...` works straight after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
