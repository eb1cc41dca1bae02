/**
 * English for single sign-on on staff pages: the admin center's Single sign-on page and the staff
 * sign-in page's SSO button. Part of the reference catalog. (The help center's SSO texts are
 * `hc.sso.*`, in every help-center language.)
 */
export const enSso = {
  "admin.nav.sso": "Single sign-on",
  "sso.admin.title": "Single sign-on",
  "sso.admin.intro": "Let people sign in with your organization's identity provider (SAML, OpenID Connect or JWT). Set up a provider below, then choose who signs in with it.",
  "sso.admin.providers": "Identity providers",
  "sso.admin.noProviders": "No identity provider is set up yet.",
  "sso.admin.who": "Who signs in how",
  "sso.admin.none": "Nobody (passwords and e-mailed links only)",
  "sso.kind.saml": "SAML 2.0",
  "sso.kind.oidc": "OpenID Connect",
  "sso.kind.jwt": "JWT",
  "sso.admin.enabled": "enabled",
  "sso.admin.disabled": "set up, turned off",
  "sso.admin.staffProvider": "Staff sign in with",
  "sso.admin.endUserProvider": "End users sign in with",
  "sso.admin.onlyEnabled": "Only providers that are set up and enabled can be chosen.",
  "sso.admin.staffOnly": "Staff can sign in only through single sign-on",
  "sso.admin.staffOnlyHelp": "Password sign-in and password reset are turned off for staff. Account owners keep their password together with two-factor authentication, so a broken identity provider cannot lock your team out: every owner must have two-factor authentication on before you can turn this on.",
  "sso.admin.endUsersOnly": "End users can sign in only through single sign-on",
  "sso.admin.endUsersOnlyHelp": "Passwords, password reset and e-mailed sign-in links are turned off for end users.",
  "sso.admin.jit": "Create people at their first sign-in",
  "sso.admin.jitHelp": "Someone the identity provider vouches for and who has no account here yet gets one: as an end user, or the role the mapping below gives.",
  "sso.admin.roles": "Roles from the identity provider",
  "sso.admin.roleAttribute": "Attribute or claim that carries the role",
  "sso.admin.roleAttributeHelp": "For example groups or role. Leave it empty to manage roles here only. A provider chosen for end users cannot make anyone staff, and owners are never changed.",
  "sso.admin.roleValues": "Values that give the role {role} (separated by commas)",
  "sso.role.admin": "Admin",
  "sso.role.agent": "Agent",
  "sso.role.light_agent": "Light agent",
  "sso.role.end_user": "End user",
  "sso.signin.button": "Sign in with single sign-on",
  "sso.signin.or": "or",
  "sso.signin.ownerOnly": "Account owner? Sign in with your password and two-factor code",
} as const;
