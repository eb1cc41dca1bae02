import type { TwoFactorChallenge } from "../api.ts";
import { CodeStep } from "../components/CodeStep.tsx";
import { explainHc } from "./help-api.ts";

/** The help center's code step: the shared one (components/CodeStep.tsx) in the visitor's language. */
export function HelpCodeStep(props: { challenge: string; methods: TwoFactorChallenge["methods"]; onSignedIn: () => Promise<void>; onBack: () => void }) {
  return (
    <CodeStep
      fieldId="hc-signin-code"
      texts={{ title: "hc.tf.title", intro: "hc.tf.intro", label: "hc.tf.label", submit: "hc.tf.submit", working: "hc.tf.working", failed: "hc.tf.failed", back: "hc.tf.back" }}
      explain={explainHc}
      {...props}
    />
  );
}
