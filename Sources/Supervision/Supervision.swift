// Placeholder: the supervisor lands with issue 2.
