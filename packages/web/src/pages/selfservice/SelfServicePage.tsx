import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { useFollow } from '../../app/Layout';

/** Asking for access. Until the guided wizard is here, requests start from a resource's policy editor. */
export default function SelfServicePage() {
  const follow = useFollow();
  return (
    <SpaceBetween size="m">
      <Header
        variant="h1"
        description="Ask for the permissions you need; an administrator reviews every request."
      >
        Request access
      </Header>
      <Container>
        <SpaceBetween size="s">
          <Box>
            Find the role or resource on the Resources page, edit its policy there, and save: saving makes a
            request, previewed first.
          </Box>
          <Button variant="primary" href="/resources" onFollow={follow}>
            Find a resource
          </Button>
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}
