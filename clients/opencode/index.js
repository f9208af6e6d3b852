// Package root: OpenCode calls every export of this module as a plugin, so only the plugin
// function is exported here (as `default` and by name: OpenCode de-duplicates identical
// exports). Helpers live in `opencode-omniroute-auth/runtime`.
import { OmniRouteAuthPlugin } from './lib/plugin.js';

export { OmniRouteAuthPlugin };
export default OmniRouteAuthPlugin;
