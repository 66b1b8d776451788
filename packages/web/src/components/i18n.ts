/** Labels Cloudscape leaves to the app; without them some icon buttons have no accessible name. */
export const TABS_I18N = {
  scrollLeftAriaLabel: 'Scroll the tabs left',
  scrollRightAriaLabel: 'Scroll the tabs right',
  dismissAriaLabel: 'Close the tab',
} as const;
