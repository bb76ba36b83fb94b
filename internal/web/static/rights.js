// The signed-in user's rights (SPEC §9), as GET /api/v1/me reports them:
// permissions maps a permission to its scope (none < own < team < all; an
// absent permission is none). Every page asks these helpers, so what is
// shown follows one rule; the server checks every call all the same.

export const SCOPES = ['none', 'own', 'team', 'all'];

let grants = {};

// setPermissions takes me.permissions.
export function setPermissions(p) {
  grants = p && typeof p === 'object' ? { ...p } : {};
}

// scope is how far perm reaches: 'none', 'own', 'team' or 'all'.
export function scope(perm) {
  const s = grants[perm];
  return SCOPES.includes(s) ? s : 'none';
}

// can reports whether perm reaches at least atLeast (any scope above none
// by default).
export function can(perm, atLeast) {
  const have = SCOPES.indexOf(scope(perm));
  return have > 0 && have >= SCOPES.indexOf(atLeast || 'own');
}

// seesSettings reports whether the user may look at the workspace's
// settings at all (lines, roles, teams).
export function seesSettings() {
  return can('lines.view') || can('settings.edit') || can('roles.edit');
}

// The pages of the navigation in their order, and who may open each.
// Inbox is everyone's; a Manager sees nothing else.
const PAGES = {
  inbox: () => true,
  history: () => can('dialogs.view'),
  stats: () => can('stats.view'),
  lines: () => can('lines.view'),
  answers: () => can('quick_answers.edit'),
  users: () => can('settings.edit'),
  teams: seesSettings,
  roles: seesSettings,
  workspace: () => can('settings.edit'),
  audit: () => can('settings.edit'),
};

export const NAV = Object.keys(PAGES);

// mayOpen reports whether the navigation entry nav is open to the user.
export function mayOpen(nav) {
  const rule = PAGES[nav];
  return !!rule && rule();
}
