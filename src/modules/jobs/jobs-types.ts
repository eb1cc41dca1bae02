import { z } from "zod";

/** API shapes of job statuses (Zendesk's Job Statuses API). */

export const jobStatusView = z.object({
  id: z.string(), url: z.string(), status: z.string(), job_type: z.string(), total: z.number(), progress: z.number(), message: z.string().nullable(),
  created_at: z.string().optional(), finished_at: z.string().nullable().optional(),
  results: z.array(z.object({ id: z.number().optional(), index: z.number(), action: z.string().optional(), status: z.string().optional(), success: z.boolean().optional(), error: z.string().optional(), details: z.string().optional() })),
});

/**
 * A job status as the job status API and the bulk ticket endpoints answer it, with what the caller
 * may do with it (Vaultdesk): `can_cancel` when cancelling it now would be accepted (its starter or
 * an admin, a bulk ticket job, not finished, tickets left to do; jobs-service.ts jobAbilities).
 */
export const jobStatusWithAbilities = jobStatusView.extend({ abilities: z.object({ can_cancel: z.boolean() }) });
