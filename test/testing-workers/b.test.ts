import { test } from 'vitest';
import { runWorker } from './worker.js';

test('worker b brings step 1 up and reads its own users', () => runWorker('b'));
