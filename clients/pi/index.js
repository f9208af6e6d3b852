// Pi coding-agent extension: the OmniRoute gateway's catalogue as Pi provider `omniroute`,
// served by the omniroute-rpc service.
//
//   pi -e /path/to/clients/pi            (or settings.json "extensions": ["/path/to/clients/pi"])
//
// Pi awaits this async factory before it starts, so the provider is registered in time for
// `pi --list-models`, `--mode rpc` and the first prompt. Options: settings.json "omniroute"
// blocks and env OMNIROUTE_OPTIONS (see lib/options.js and README.md).

import { setupExtension } from './lib/extension.js';

/** @param {any} pi Pi's ExtensionAPI */
export default async function omniroute(pi) {
  await setupExtension(pi);
}
