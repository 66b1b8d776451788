import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useLocation } from 'react-router';
import { useFollow } from '../app/Layout';

export default function NotFoundPage() {
  const location = useLocation();
  const follow = useFollow();
  return (
    <SpaceBetween size="m">
      <Header variant="h1">Page not found</Header>
      <Box>
        Rolecall has no page at <code>{location.pathname}</code>. The link may be old or mistyped.
      </Box>
      <Button variant="primary" href="/" onFollow={follow}>
        Go to your roles
      </Button>
    </SpaceBetween>
  );
}
