export { setupRecorder, recorderHandlers, drainMockedResponses, type Recorder } from './server.js';
export { MODES, type Mode, type RecorderOptions } from './options.js';
