import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

/**
 * Fails the build if the page would need anything the server's Content-Security-Policy forbids:
 * inline scripts, inline styles or style attributes, or anything loaded from another origin.
 */
function cspGuard(): Plugin {
  return {
    name: "vaultdesk-csp-guard",
    apply: "build",
    enforce: "post",
    generateBundle(_options, bundle) {
      const html = bundle["index.html"];
      if (!html || html.type !== "asset") return;
      const text = String(html.source);
      const problems = [
        [/<script(?![^>]*\ssrc=)[^>]*>/i, "an inline <script>"],
        [/<style[\s>]/i, "an inline <style>"],
        [/\sstyle=/i, "a style attribute"],
        [/\s(?:src|href)="(?:https?:)?\/\//i, "a resource from another origin"],
        [/\son[a-z]+=/i, "an inline event handler"],
      ] as const;
      for (const [re, what] of problems) if (re.test(text)) this.error(`web/dist/index.html has ${what}; the Content-Security-Policy would block it`);
    },
  };
}

// The web app is built into web/dist and served by the Vaultdesk server (src/server/web.ts):
// no CDN, no web fonts, every asset a file under /assets/.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react(), cspGuard()],
  build: { outDir: "dist", emptyOutDir: true, assetsInlineLimit: 0, modulePreload: { polyfill: false }, sourcemap: false },
});
