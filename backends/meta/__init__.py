"""Meta: Messenger, Instagram and page comments over the Graph API and one webhook shape."""
