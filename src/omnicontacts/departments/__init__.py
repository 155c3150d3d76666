"""Livechat departments: a named group of agents a visitor may pick in the widget."""
