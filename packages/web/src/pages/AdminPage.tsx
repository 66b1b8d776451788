import Header from '@cloudscape-design/components/header';

export default function AdminPage() {
  return <Header variant="h1">AdminPage</Header>;
}
