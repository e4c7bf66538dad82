"""Widgets, dialogs and map layers of the plugin. No HTTP here: everything remote goes through core."""
