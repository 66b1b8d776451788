/**
 * The page chunks the start-up preload (preload.ts) may fetch before the router asks for them. The
 * router's `lazy()` calls the same loaders, and a module is fetched once however often it is imported.
 */
export const loadRolesPage = () => import('../pages/RolesPage');
export const loadResourcesPage = () => import('../pages/ResourcesPage');
