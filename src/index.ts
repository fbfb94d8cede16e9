export { setupRecorder, recorderHandlers, drainMockedResponses, type Recorder, type RecorderHandlers } from './server.js';
export { MODES, type Mode, type RecorderOptions } from './options.js';
