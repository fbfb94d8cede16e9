import { replayTest } from './replay.ts';

// Nothing else: ai-vcr comes from the suite's setupFiles and globalSetup, as its docs set it up.
replayTest();
