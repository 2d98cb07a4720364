"""Moving users in and out in bulk: `flask --app app users import|export`."""
