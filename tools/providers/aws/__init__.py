"""The AWS IAM provider: real identities in a real account, through boto3.

Nothing here imports from bot/: errors are this package's own and the bot translates them.
"""
