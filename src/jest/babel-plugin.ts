/**
 * `ai-vcr/jest/babel-plugin`, used by the preset's babel-jest transform. msw 3 and its
 * dependencies ship ES modules only, and jest (without --experimental-vm-modules) runs every
 * file as CommonJS, so babel-jest turns them into CommonJS. @babel/preset-env does that but
 * leaves `import.meta`, which CommonJS cannot parse, and @mswjs/interceptors reads its WASM
 * HTTP parser relative to `import.meta.url`. This gives `import.meta` a CommonJS meaning.
 */

/** The parts of babel's plugin API used here (typed here, so that users need no babel types). */
interface BabelApi {
  template: { expression: { ast: (code: string) => unknown } };
  caller: <T>(read: (caller: { supportsStaticESM?: boolean } | undefined) => T) => T;
}
interface MetaPropertyPath {
  node: { meta: { name: string }; property: { name: string } };
  replaceWith: (node: unknown) => void;
}
interface Plugin {
  name: string;
  visitor: { MetaProperty?: (path: MetaPropertyPath) => void };
}

export default function importMetaAsCommonJs(api: BabelApi): Plugin {
  // Files that stay ES modules (jest's native ESM mode) keep their own import.meta.
  if (api.caller((caller) => caller?.supportsStaticESM)) return { name: 'ai-vcr-import-meta', visitor: {} };
  return {
    name: 'ai-vcr-import-meta',
    visitor: {
      MetaProperty(path) {
        if (path.node.meta.name !== 'import' || path.node.property.name !== 'meta') return;
        path.replaceWith(
          api.template.expression.ast(`({ url: require('node:url').pathToFileURL(__filename).href, filename: __filename, dirname: __dirname })`),
        );
      },
    },
  };
}
