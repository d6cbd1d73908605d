import { test } from 'vitest';
import { runWorker } from './worker.js';

test('worker a brings step 1 up and reads its own users', () => runWorker('a'));
