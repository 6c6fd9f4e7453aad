"""Microsoft Teams adapter (Bot Framework SDK, botbuilder 4.17.1).

Every `botbuilder`/`botframework` import of the project lives in this package, so the
archived SDK can be replaced (by the Microsoft 365 Agents SDK) without touching anything
else. Entry point: `bot.adapters.teams.routes.add_teams_routes`.
"""
